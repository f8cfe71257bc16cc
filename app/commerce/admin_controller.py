"""Commerce administration: every order, status transitions, and abandoned carts for marketing."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import Provide

from app.commerce.schemas import AbandonedCartRead, AdminOrderRead, OrderStatusInput
from app.commerce.service import CommerceService
from app.deps import provide_commerce
from app.errors import problems
from app.schemas import Page, PageNo, PerPage
from app.security import ADMIN
from documents import OrderStatus


class AdminCommerceController(Controller):
    path = "/v1/admin"
    tags = ["admin", "commerce"]
    opt = ADMIN
    dependencies = {"commerce": Provide(provide_commerce, sync_to_thread=False)}

    @get("/orders", operation_id="adminListOrders")
    async def list_orders(
        self, commerce: CommerceService, status: OrderStatus | None = None, page: PageNo = 1, per_page: PerPage = 20
    ) -> Page[AdminOrderRead]:
        """Every customer's orders, newest first, optionally only those in one status."""
        orders, total = await commerce.orders.list_all(status=status, page=page, per_page=per_page)
        return Page(items=[AdminOrderRead.of(o) for o in orders], page=page, per_page=per_page, total=total)

    @get("/orders/{order_id:str}", operation_id="adminGetOrder", responses=problems("order_not_found"))
    async def get_order(self, commerce: CommerceService, order_id: str) -> AdminOrderRead:
        """Any order by id."""
        return AdminOrderRead.of(await commerce.orders.get_order(order_id))

    @post(
        "/orders/{order_id:str}/status",
        status_code=200,
        operation_id="setOrderStatus",
        responses=problems("order_not_found", "illegal_transition", "order_changed"),
    )
    async def set_status(self, commerce: CommerceService, order_id: str, data: OrderStatusInput) -> AdminOrderRead:
        """Move an order along pending → paid → shipped → delivered; paid, shipped or delivered orders may be
        refunded and pending or paid ones cancelled. Anything else is a 409. Bottles return to stock when
        an order is cancelled, or refunded before it shipped."""
        return AdminOrderRead.of(await commerce.orders.set_status(order_id, OrderStatus(data.status)))

    @get("/carts/abandoned")
    async def abandoned_carts(
        self, commerce: CommerceService, page: PageNo = 1, per_page: PerPage = 20
    ) -> Page[AbandonedCartRead]:
        """Carts with items and no change for CUVEE_ABANDONED_CART_HOURS (default 24), most recently
        abandoned first: who, what, its value and how long it has been idle. Send reminders only to
        customers with `marketing_consent`."""
        rows, total = await commerce.carts.list_abandoned(page=page, per_page=per_page)
        return Page(items=[AbandonedCartRead.of(r) for r in rows], page=page, per_page=per_page, total=total)

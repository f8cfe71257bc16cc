"""Every MongoDB collection of Cuvée as a Beanie document: fields, validation and indexes (one module a domain)."""

from beanie import Document

from documents.models.base import TASTE_AXES, Dietary, Embedded, StringId, Style, Timestamped, new_id, utcnow
from documents.models.behaviour import Interaction, RecommendationAction, RecommendationItem, RecommendationLog
from documents.models.catalog import (
    UNVERIFIED_WEIGHT,
    AppliedRule,
    RatingAggregate,
    StockHold,
    TasteStructure,
    Wine,
    weighted_mean,
)
from documents.models.commerce import (
    Cart,
    CartItem,
    GiftInfo,
    Order,
    OrderItem,
    OrderStatus,
    Review,
    StatusChange,
    WishlistEntry,
)
from documents.models.operations import AuditEntry, PrivacyRequest
from documents.models.pricing import PriceChange, PriceRule, WineSelector
from documents.models.users import (
    ConsentChange,
    ConsentState,
    Dislikes,
    Preferences,
    PriceRange,
    TasteAxis,
    TasteProfile,
    User,
)

ALL_DOCUMENTS: list[type[Document]] = [
    User,
    Wine,
    Order,
    Cart,
    WishlistEntry,
    Review,
    Interaction,
    RecommendationLog,
    AuditEntry,
    PrivacyRequest,
    PriceRule,
    PriceChange,
]

__all__ = [
    "ALL_DOCUMENTS",
    "TASTE_AXES",
    "UNVERIFIED_WEIGHT",
    "AppliedRule",
    "AuditEntry",
    "Cart",
    "CartItem",
    "ConsentChange",
    "ConsentState",
    "Dietary",
    "Dislikes",
    "Embedded",
    "GiftInfo",
    "Interaction",
    "Order",
    "OrderItem",
    "OrderStatus",
    "Preferences",
    "PriceChange",
    "PriceRange",
    "PriceRule",
    "PrivacyRequest",
    "RatingAggregate",
    "RecommendationAction",
    "RecommendationItem",
    "RecommendationLog",
    "Review",
    "StatusChange",
    "StockHold",
    "StringId",
    "Style",
    "TasteAxis",
    "TasteProfile",
    "TasteStructure",
    "Timestamped",
    "User",
    "Wine",
    "WineSelector",
    "WishlistEntry",
    "new_id",
    "utcnow",
    "weighted_mean",
]

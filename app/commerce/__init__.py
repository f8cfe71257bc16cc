"""Commerce: cart, checkout without overselling, orders, gifts, wishlist, reviews and ratings."""

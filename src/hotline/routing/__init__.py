"""Who is on call, and how an urgent call reaches them."""

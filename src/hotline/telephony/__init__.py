"""The carrier: webhook signatures and forms in, REST calls out through a gateway."""

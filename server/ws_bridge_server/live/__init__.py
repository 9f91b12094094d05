"""The live side of one replica: which sockets are in which room, and getting events to them."""

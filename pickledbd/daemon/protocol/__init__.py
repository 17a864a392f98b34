"""The RESP codec: requests in (reader.py), replies out (reply.py)."""

"""`janus_client.message_transaction`: what ``send`` returns, and its matcher."""

from ..transaction import MessageTransaction, is_subset

__all__ = ["MessageTransaction", "is_subset"]

"""Notification services: every write of the notify app goes through one of these.

``fanout`` turns events into inbox entries and delivery rows; ``delivery`` sends those rows;
``inbox`` holds what people do with their own notifications and an organisation's channels.
"""

from chuishao.notify.services.delivery import DeliverResult, backoff, deliver_pending
from chuishao.notify.services.fanout import FanoutResult, fanout, fanout_skip_to_latest
from chuishao.notify.services.inbox import channel_create, channel_deactivate, notification_mark_read

__all__ = [
    "DeliverResult",
    "FanoutResult",
    "backoff",
    "channel_create",
    "channel_deactivate",
    "deliver_pending",
    "fanout",
    "fanout_skip_to_latest",
    "notification_mark_read",
]

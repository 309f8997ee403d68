"""Channels: one module per channel, plus the inbox/outbox pipeline all of them share."""

"""Builders for new documents and status messages. (stub: to be implemented)"""
__all__: list[str] = []

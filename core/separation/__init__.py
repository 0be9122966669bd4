"""Source separation: Demucs behind a streaming pipeline, and an offline ``classic`` separator
(:mod:`core.separation.classic`) that needs no model weights.

Nothing is imported here, so that importing one backend never pulls in another (torch).
"""

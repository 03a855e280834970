"""Interop with Meetecho's janus.js in headless Chromium (Debian's packages)."""

"""The aiohttp app key under which the fake exchange keeps its FakeState (extra routes use it too)."""

from aiohttp import web

STATE = web.AppKey("state", object)

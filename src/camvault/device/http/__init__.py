"""HTTP for emulated devices: request/response values, the asyncio server, and an in-process transport."""

from camvault.device.http.messages import Headers, Request, Response
from camvault.device.http.server import Fault, FaultHook, Handler, HttpServer, ServerLimits

__all__ = ["Fault", "FaultHook", "Handler", "Headers", "HttpServer", "Request", "Response", "ServerLimits"]

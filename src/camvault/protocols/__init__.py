"""Sans-I/O codecs shared by the device, support and fleet sides.

Pure functions and small value types over bytes: no sockets, no threads, and no clock read implicitly
(functions that need the time take ``now``). This package imports nothing else from camvault except
:mod:`camvault.errors`, so that both ends of every protocol can share it.
"""

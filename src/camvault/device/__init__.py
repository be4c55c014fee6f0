"""The emulated device: a Hikvision-faithful camera/NVR (and a generic ONVIF camera) and the lab.

Layout:

* :mod:`camvault.device.model`: the device as a pure state machine over an injected clock;
* :mod:`camvault.device.http`: the HTTP server and the request/response values the front ends use;
* :mod:`camvault.device.isapi`, ``web``, ``onvif``, ``discovery``: protocol front ends over the model;
* :mod:`camvault.device.store`: persistence of every device's state;
* :mod:`camvault.device.lab`: many devices in one process, and the physical world around them.

This package never imports :mod:`camvault.fleet` or :mod:`camvault.support`; they meet on the wire.
"""

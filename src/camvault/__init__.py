"""camvault: get back into, and keep control of, the accounts on surveillance devices.

The package has four parts that meet only on the wire:

* :mod:`camvault.protocols`: sans-I/O codecs shared by both sides (ISAPI, Digest, SADP, ONVIF, ...);
* :mod:`camvault.device`: the emulated camera/NVR and the *lab* that runs many of them;
* :mod:`camvault.support`: the vendor's recovery service;
* :mod:`camvault.fleet`: the owner's tool.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

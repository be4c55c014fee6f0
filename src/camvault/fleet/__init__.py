"""The owner's side: inventory, encrypted vault, drivers, discovery, audit, rotation and recovery.

Never imports :mod:`camvault.device` or :mod:`camvault.support`: it reaches devices over the network only.
"""

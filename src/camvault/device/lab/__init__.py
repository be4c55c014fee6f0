"""The lab: many emulated devices in one process, their scenarios, and the physical world."""

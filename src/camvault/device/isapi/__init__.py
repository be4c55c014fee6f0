"""ISAPI front end of the emulated device: routes, authentication, handlers."""

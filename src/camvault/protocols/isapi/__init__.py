"""ISAPI: Hikvision's HTTP/XML device API. Document codecs, status envelope and the auth-related crypto."""

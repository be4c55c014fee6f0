"""The vendor's recovery service: cases, signing keys, reset-code issuance and a tamper-evident audit trail.

Never imports :mod:`camvault.device` or :mod:`camvault.fleet`: devices and owners reach it through files
and HTTP, as they would reach a real vendor.
"""

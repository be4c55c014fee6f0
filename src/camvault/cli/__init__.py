"""Thin Typer commands over the domain: parse, call, render. No domain logic lives here."""

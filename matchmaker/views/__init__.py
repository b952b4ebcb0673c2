"""Blueprints, one per audience. Views parse input, call a service and pick a response."""

"""Pressroom: a duplication station for secured, disk-bound music copies."""

__version__ = "0.1.0"

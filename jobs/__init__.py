"""Scheduled jobs: plain functions over data/, and the scheduler runner."""

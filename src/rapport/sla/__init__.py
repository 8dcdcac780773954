"""Service targets: policies of response targets on business-hours calendars, run as clocks on conversations."""

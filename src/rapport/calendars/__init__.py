"""Business-hours calendars: effective-dated versions, holidays, iCal feeds (the arithmetic is kit.business_time)."""

"""Flask blueprints: Twilio webhooks, staff API, patient app API, dashboard. Views stay thin."""

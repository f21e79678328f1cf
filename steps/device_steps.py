"""Device-side steps: what the hub the suite plays does, and what the device under test sends."""

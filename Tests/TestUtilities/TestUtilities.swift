// TestUtilities module.

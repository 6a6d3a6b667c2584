// SampleServices module.

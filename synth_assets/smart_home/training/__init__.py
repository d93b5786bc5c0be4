"""Training datasets of the smart-home family (device graph, prompt/automation pairs) and the training job."""

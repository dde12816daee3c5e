"""The know-your-rights script and the deployment's local resources."""

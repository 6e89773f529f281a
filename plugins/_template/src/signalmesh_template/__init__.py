"""SignalMesh connector for TODO: the platform. The entry point loads ``connector``."""

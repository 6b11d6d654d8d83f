"""The matching service (居民点单、社工接单、社区响应)."""

"""Test and sample support, kept out of the shipped packages: ``census_city`` (a city's
departments' rosters with the truth, for the census's tests and benchmarks) and
``democity`` (the report's demo city, loaded into a running platform)."""

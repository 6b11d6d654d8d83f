from shegong.registry.main import main

main()

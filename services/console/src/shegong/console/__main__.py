from shegong.console.main import main

main()

from shegong.matching.main import main

main()

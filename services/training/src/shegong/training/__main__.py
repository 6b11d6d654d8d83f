from shegong.training.main import main

main()

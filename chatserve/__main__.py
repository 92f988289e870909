from chatserve.cli import main

main()

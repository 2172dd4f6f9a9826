from rmexp.bench.command import main

main()

"""One module per `vidstyle` subcommand: EXAMPLES, add_arguments(parser) and run(args).

These modules import only argparse at the top, so building the parser stays cheap.
"""

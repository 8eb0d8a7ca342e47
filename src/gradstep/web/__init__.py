"""gradstep in web browsers (gradstep serve): textual-serve starts one app process per tab.

command.py checks the command line and imports nothing heavy, so `gradstep` starts no slower;
server.py (textual-serve, aiohttp) is imported only when a server is about to start.
"""

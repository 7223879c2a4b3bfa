"""pytest plugin: cryptography.fernet's classes are itsdangerous_rs.fernet's.

Loaded with ``-p`` before the upstream test module runs
``from cryptography.fernet import Fernet, InvalidToken, MultiFernet``.
"""

import cryptography.fernet

import itsdangerous_rs.fernet

SWAPPED = ("Fernet", "MultiFernet", "InvalidToken")

for name in SWAPPED:
    setattr(cryptography.fernet, name, getattr(itsdangerous_rs.fernet, name))


def pytest_terminal_summary(terminalreporter):
    assert cryptography.fernet.Fernet is itsdangerous_rs.fernet.Fernet
    terminalreporter.write_line("cryptography.fernet classes swapped for itsdangerous_rs")

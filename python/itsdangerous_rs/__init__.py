"""itsdangerous-rs"""

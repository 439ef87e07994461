"""Perl-named import paths: ``import OpenAPI.Client.OpenAI`` as in ``use OpenAPI::Client::OpenAI``."""

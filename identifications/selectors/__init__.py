"""Every read of the domain that is more than a one-line query; selectors never write.

- `identifications`: one organization's identifications for the API.
- `reference`: cached document types and scoring configurations.
- `api_keys`: API key rows cached for a few seconds for authentication.
- `dashboard`: the back office's aggregate counts.
"""

from identifications.selectors.identifications import identification_get, identification_list

__all__ = ["identification_get", "identification_list"]

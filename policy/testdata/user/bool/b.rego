package pinline.user.tiers

deny if input.tier == "untrusted"

warn contains {"msg": "object without id or pos"} if input.tier == "untrusted"

package pinline.gate

decision := {"deny": set(), "warn": set()}

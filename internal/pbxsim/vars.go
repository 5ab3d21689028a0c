package pbxsim

import "strings"

// setVar is pbx_builtin_setvar_helper: the variable replaces any of the
// same name (leading "_"/"__" ignored for the comparison), goes first in
// the list, and VarSet is published.
func (s *Server) setVar(ch *channel, name, value string) {
	tail := varTail(name)
	for i, v := range ch.vars {
		if varTail(v.name) == tail {
			ch.vars = append(ch.vars[:i], ch.vars[i+1:]...)
			break
		}
	}
	ch.vars = append([]chanVar{{name, value}}, ch.vars...)
	s.chanEvent(classDialplan, "VarSet", ch, hdrs("Variable", name, "Value", value)...)
}

func (s *Server) setVars(ch *channel, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		s.setVar(ch, kv[i], kv[i+1])
	}
}

// unsetVar is pbx_builtin_setvar_helper without a value: the first
// variable of that name goes, with a VarSet of an empty value only if it
// had a value (ami-18: a Gosub's empty LOCAL(did) goes silently).
func (s *Server) unsetVar(ch *channel, name string) {
	tail := varTail(name)
	for i, v := range ch.vars {
		if varTail(v.name) == tail {
			ch.vars = append(ch.vars[:i], ch.vars[i+1:]...)
			if v.value != "" {
				s.chanEvent(classDialplan, "VarSet", ch, hdrs("Variable", name, "Value", "")...)
			}
			return
		}
	}
}

// varTail is a variable name without its inheritance prefix ("_" or "__").
func varTail(name string) string {
	if strings.HasPrefix(name, "__") {
		return name[2:]
	}
	return strings.TrimPrefix(name, "_")
}

// varValue is the value of variable name on ch, if it is set.
func (ch *channel) varValue(name string) (string, bool) {
	for _, v := range ch.vars {
		if varTail(v.name) == name {
			return v.value, true
		}
	}
	return "", false
}

// inheritVars is ast_channel_inherit_variables, run when parent dials
// child: "_NAME" is copied as "NAME", "__NAME" as "__NAME" (VarSet each).
func (s *Server) inheritVars(parent, child *channel) {
	for _, v := range parent.vars {
		switch {
		case strings.HasPrefix(v.name, "__"):
			s.setVarTail(child, v.name, v.value)
		case strings.HasPrefix(v.name, "_"):
			s.setVarTail(child, v.name[1:], v.value)
		}
	}
}

// copyLocalVars is the variable copy of ast_unreal_call_setup: every
// variable of ;1 is appended to ;2, in ;1's order (VarSet each).
func (s *Server) copyLocalVars(one, two *channel) {
	for _, v := range one.vars {
		s.setVarTail(two, v.name, v.value)
	}
}

// setVarTail appends a variable at the end of the list, as the inherit and
// Local copies do (AST_LIST_INSERT_TAIL), and publishes VarSet.
func (s *Server) setVarTail(ch *channel, name, value string) {
	ch.vars = append(ch.vars, chanVar{name, value})
	s.chanEvent(classDialplan, "VarSet", ch, hdrs("Variable", name, "Value", value)...)
}

import{a,b,c}from"./chunk-R2BTF2KT.js";import"./chunk-SOSLPL23.js";import"./chunk-22SRXOSO.js";import"./chunk-KMTS5RVZ.js";export{c as Inputs,b as choicesOf,a as same};

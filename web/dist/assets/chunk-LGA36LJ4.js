import{a,b,c}from"./chunk-ZG4FQWRW.js";import"./chunk-K3LVVL2W.js";import"./chunk-4R54ERC6.js";export{c as Inputs,b as choicesOf,a as same};
